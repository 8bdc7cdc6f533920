/**
 * Debian's Chromium, driven by playwright-core, with the flags this machine needs (a fresh
 * profile each launch: playwright-core gives every `launch` a new temporary
 * `--user-data-dir`), optionally with a fake camera that plays a Y4M file.
 */
import { existsSync } from "node:fs";

import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** The flags every launch gets (issue 15; ../shared/toolchain.md "Browsers"). */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
] as const;

/** Fails, in one line saying what to install, when Debian's Chromium is missing. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: install it with \`apt-get install -y chromium\``);
  }
}

/** Launches Chromium headless; with `camera`, its webcam plays that .y4m file. */
export async function launchChromium(options: { camera?: string } = {}): Promise<Browser> {
  requireChromium();
  const camera =
    options.camera === undefined
      ? []
      : ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", `--use-file-for-fake-video-capture=${options.camera}`];
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_FLAGS, ...camera] });
}
