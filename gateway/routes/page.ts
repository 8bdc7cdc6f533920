/**
 * The verification page at `/`: the static files Vite built into `web/dist/`, served with
 * a Content-Security-Policy that lets the page load nothing but this origin's files (its
 * scanner's WebAssembly included) and talk to nothing but this gateway. Without a build,
 * `/` says how to make one.
 */
import { existsSync } from "node:fs";
import path from "node:path";

import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";

import { ApiError } from "../errors.js";

export const PAGE_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

export async function pageRoutes(app: FastifyInstance, staticDir: string | null): Promise<void> {
  if (staticDir === null || !existsSync(path.join(staticDir, "index.html"))) {
    app.get("/", async () => {
      throw new ApiError(503, "page_not_built", "the verification page is not built here: run `npm run build:web`");
    });
    return;
  }
  await app.register(fastifyStatic, {
    root: path.resolve(staticDir),
    prefix: "/",
    index: ["index.html"],
    setHeaders(res) {
      res.header("content-security-policy", PAGE_POLICY);
      res.header("x-content-type-options", "nosniff");
      res.header("referrer-policy", "no-referrer");
    },
  });
}
