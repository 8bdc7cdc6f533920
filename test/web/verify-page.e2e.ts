/**
 * The verification page in Debian's Chromium (playwright-core), against a real gateway
 * and a real `hardhat node`: real GS1 DataMatrix symbols of a genuine unit, a dispensed
 * one, one of a recalled batch and an invented one, each presented as an uploaded photo
 * and to the camera (Chromium's fake capture device playing a Y4M video of the symbol),
 * with the verdict asserted in English and Chinese. One browser serves every case: the
 * fake camera reopens its file at each capture, so the file is replaced before each scan.
 * Screenshots of every case go to test/web/screenshots/.
 */
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import type { Browser, BrowserContext, Page } from "playwright-core";

import { type LocalNode, ROOT, startLocalNode } from "../helpers/cli.js";
import { type RunningGateway, startGateway } from "../helpers/gateway.js";
import { drawMatrix, gs1DataMatrix } from "./barcodes.js";
import { launchChromium, requireChromium } from "./browser.js";
import { buildPage } from "./page.js";
import { grayPng } from "./png.js";
import { CHECKED_AT, INVALID_CODE, type PageLang, SWITCH_LABEL, VERDICT_WORDS, recallLine, recallOpened } from "./words.js";
import { y4mVideo } from "./y4m.js";

const SHOTS = path.join(ROOT, "test", "web", "screenshots");
const GTIN = "06901234567892";
const PRODUCT = "Amoxicillin Capsules 0.25g";
/** The batch in the market (units W0–W2; W1 is dispensed) and the recalled batch (R0, R1). */
const MARKET_LOT = "W2026A";
const RECALLED_LOT = "W2026R";
const printed = (serial: string, lot: string) => `(01)${GTIN}(21)${serial}(10)${lot}(17)280630`;
const canonical = (serial: string) => `01${GTIN}21${serial}`;
const STOP_REASON = "label misprint";
const RECALL_REASON = "label misprint confirmed";

interface Box {
  name: string;
  status: keyof typeof VERDICT_WORDS;
  printed: string;
}

const BOXES: Box[] = [
  { name: "genuine", status: "genuine", printed: printed("W0", MARKET_LOT) },
  { name: "dispensed", status: "dispensed", printed: printed("W1", MARKET_LOT) },
  { name: "recalled", status: "recalled", printed: printed("R0", RECALLED_LOT) },
  { name: "invented", status: "unknown", printed: printed("FAKE7", MARKET_LOT) },
];

/** The recalled batch's details and history, as the page shows them. */
const RECALLED_DETAILS: Record<PageLang, string[]> = {
  en: ["Product", PRODUCT, "Lot", RECALLED_LOT, "Expiry", "Jun 30, 2028", "Manufactured", "Oct 1, 2026", "Code", canonical("R0")],
  "zh-CN": ["药品", PRODUCT, "批号", RECALLED_LOT, "有效期至", "2028年6月30日", "生产日期", "2026年10月1日", "追溯码", canonical("R0")],
};
/** The recalled batch's history, as the page shows it; the recall is due back by `deadline` (ISO). */
const recalledHistory = (lang: PageLang, deadline: string): string[] =>
  lang === "en"
    ? [
        "Batch made and registered",
        "Released for sale by quality assurance",
        `On the market → Stopped: ${STOP_REASON}`,
        `Stopped → Recalled: ${RECALL_REASON}`,
        recallOpened(lang, deadline),
      ]
    : ["批次生产并登记", "质量受权人放行上市", `正常流通 → 暂停销售：${STOP_REASON}`, `暂停销售 → 召回：${RECALL_REASON}`, recallOpened(lang, deadline)];

/** The recall's deadline (ISO), as `state recall` printed it. */
let recallDeadline = "";

/** A 640×480 picture of the box's symbol, 10 px a module, centred on white. */
function picture(box: Box) {
  return drawMatrix(gs1DataMatrix(box.printed), { width: 640, height: 480, moduleSize: 10 });
}

/** The verdict's lines (headline, advice, recall, block), asserting its status and the page's language. */
async function expectVerdict(page: Page, box: Box, lang: PageLang): Promise<void> {
  const verdict = page.getByTestId("verdict");
  // The verdict, or the error that says why there is none.
  await page.locator('[data-testid="verdict"], [data-testid="error"]:not(:empty)').first().waitFor({ timeout: 15_000 });
  expect(await page.getByTestId("error").textContent(), "the page's error message").to.equal("");
  expect(await verdict.getAttribute("data-status")).to.equal(box.status);
  expect(await page.locator("html").getAttribute("lang")).to.equal(lang);
  expect(await page.getByTestId("language-switch").textContent()).to.equal(SWITCH_LABEL[lang]);
  const lines = (await page.getByRole("status").innerText()).split(/\n+/).map((l) => l.trim());
  const words = VERDICT_WORDS[box.status][lang];
  expect(lines.slice(0, 2)).to.deep.equal([words.title, words.advice]);
  if (box.status === "unknown") {
    // No batch holds the code: nothing to read on chain.
    expect(lines).to.have.length(2);
    expect(await page.locator("#details").isHidden()).to.equal(true);
    return;
  }
  const recall = box.status === "recalled" ? [recallLine(lang, recallDeadline)] : [];
  expect(lines.slice(2, -1)).to.deep.equal(recall);
  expect(lines.at(-1)).to.match(CHECKED_AT[lang]);
  if (box.status === "recalled") await expectRecalledDetails(page, lang);
}

async function expectRecalledDetails(page: Page, lang: PageLang): Promise<void> {
  const details = page.locator("#details");
  expect((await details.locator("dl").innerText()).split(/\n+/).map((l) => l.trim())).to.deep.equal(RECALLED_DETAILS[lang]);
  const items = await details.getByRole("list").getByRole("listitem").allInnerTexts();
  expect(items.map((item) => item.split("\n").at(-1)?.trim())).to.deep.equal(recalledHistory(lang, recallDeadline));
}

/** Checks the verdict in the page's language, switches language, checks it again; a screenshot of each. */
async function expectBothLanguages(page: Page, box: Box, first: PageLang, shot: string): Promise<void> {
  await expectVerdict(page, box, first);
  expect(await page.locator(":focus").getAttribute("data-testid")).to.equal("verdict");
  await page.screenshot({ path: path.join(SHOTS, `${shot}-${first}.png`), fullPage: true });
  const second: PageLang = first === "en" ? "zh-CN" : "en";
  await page.getByTestId("language-switch").click();
  await expectVerdict(page, box, second);
  await page.screenshot({ path: path.join(SHOTS, `${shot}-${second}.png`), fullPage: true });
}

describe("the verification page in Chromium against a gateway and a hardhat node @e2e", function () {
  this.timeout(180_000);
  let node: LocalNode;
  let gateway: RunningGateway;
  let origin: string;
  let registry: string;
  let dir: string;
  let camera: string;
  let browser: Browser;
  let context: BrowserContext | undefined;
  /** Every URL the pages requested outside the gateway's origin, and every .wasm they fetched. */
  const outside: string[] = [];
  const wasm: string[] = [];
  /** The JSON-RPC requests of the current context's pages, in order. */
  let rpc: { method: string; to?: string }[] = [];

  async function openPage(options: { locale: string; viewport?: { width: number; height: number }; mobile?: boolean }): Promise<Page> {
    await context?.close();
    rpc = [];
    context = await browser.newContext({
      locale: options.locale,
      viewport: options.viewport ?? { width: 1024, height: 900 },
      isMobile: options.mobile ?? false,
      hasTouch: options.mobile ?? false,
    });
    context.on("request", (request) => {
      const url = request.url();
      if (!url.startsWith(origin) && !url.startsWith("data:") && !url.startsWith("blob:")) outside.push(url);
      if (new URL(url).pathname.endsWith(".wasm")) wasm.push(url);
      if (url === `${origin}v1/rpc`) {
        const body = request.postDataJSON() as { method: string; params?: [{ to?: string }] };
        rpc.push({ method: body.method, to: body.params?.[0]?.to?.toLowerCase() });
      }
    });
    const page = await context.newPage();
    await page.goto(origin);
    return page;
  }

  /** The chain reads the page made for one check: the block number, then verify, getBatch, subjectRecord, stateGraph at BatchRegistry. */
  function expectReadFromChain(): void {
    expect(rpc.map((r) => r.method)).to.deep.equal(["eth_blockNumber", "eth_call", "eth_call", "eth_call", "eth_call"]);
    expect(rpc.filter((r) => r.method === "eth_call").map((r) => r.to)).to.deep.equal(Array(4).fill(registry));
  }

  before(async function () {
    requireChromium();
    dir = await mkdtemp(path.join(tmpdir(), "medstate-web-"));
    camera = path.join(dir, "camera.y4m");
    await mkdir(SHOTS, { recursive: true });
    // The fake camera needs its file at launch; each scan replaces it.
    await writeFile(camera, y4mVideo(picture(BOXES[0])));
    const [started, launched] = await Promise.all([startLocalNode(), launchChromium({ camera }), buildPage()]);
    node = started;
    browser = launched;
    await node.json("system", "deploy");
    gateway = await startGateway(node);
    origin = new URL("/", gateway.url).href;
    registry = ((await (await fetch(`${origin}v1/info`)).json()) as { contracts: { BatchRegistry: string } }).contracts.BatchRegistry.toLowerCase();

    await node.json("product", "register", "--gtin", GTIN, "--name", PRODUCT, "--approval-no", "国药准字H20230001", "--from", "1");
    await node.json("product", "approve", "--gtin", GTIN, "--applicant", "2", "--from", "0");
    await node.json("member", "add", "--party", "2", "--account", "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720", "--role", "qa", "--from", "1");
    const batch = async (lot: string, serials: string[]): Promise<string> => {
      const units = path.join(dir, `${lot}.txt`);
      await writeFile(units, `${serials.map((s) => printed(s, lot)).join("\n")}\n`);
      const { batchId } = await node.json<{ batchId: string }>(
        "batch", "create", "--gtin", GTIN, "--lot", lot, "--manufactured", "2026-10-01", "--expiry", "2028-06-30",
        "--quantity", String(serials.length), "--units", units, "--publish", origin, "--from", "1",
      );
      await node.json("observe", "--batch", batchId, "--point", "inspection", "--result", "normal", "--from", "9");
      await node.json("batch", "release", "--batch", batchId, "--from", "9");
      return batchId;
    };
    const market = await batch(MARKET_LOT, ["W0", "W1", "W2"]);
    const { shipmentId } = await node.json<{ shipmentId: string }>("batch", "ship", "--batch", market, "--to", "6", "--quantity", "3", "--from", "1");
    await node.json("batch", "receive", "--shipment", shipmentId, "--from", "5");
    await node.json("unit", "dispense", "--code", printed("W1", MARKET_LOT), "--from", "5");
    const recalled = await batch(RECALLED_LOT, ["R0", "R1"]);
    await node.json("state", "stop", "--batch", recalled, "--reason", STOP_REASON, "--from", "0");
    ({ deadline: recallDeadline } = await node.json<{ deadline: string }>(
      "state", "recall", "--batch", recalled, "--level", "2", "--reason", RECALL_REASON, "--from", "0",
    ));
  });

  after(async function () {
    await context?.close();
    await browser?.close();
    await gateway?.stop();
    await node?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  for (const box of BOXES) {
    it(`shows "${box.status}" for a photo of the ${box.name} box, in English from the browser and in Chinese after the switch`, async function () {
      const page = await openPage({ locale: "en-US" });
      expect(await page.locator("html").getAttribute("lang")).to.equal("en");
      await page.getByTestId("upload-input").setInputFiles({ name: `${box.name}.png`, mimeType: "image/png", buffer: grayPng(picture(box)) });
      await expectBothLanguages(page, box, "en", `photo-${box.name}`);
      expect(await page.getByTestId("code-input").inputValue()).to.equal(box.printed);
      if (box.status === "unknown") expect(rpc).to.deep.equal([]);
      else expectReadFromChain();
    });
  }

  for (const box of BOXES) {
    it(`shows "${box.status}" for the ${box.name} box held up to the camera, in Chinese from the browser and in English after the switch`, async function () {
      // Replaced whole (rename), so the camera never reads half a file.
      await writeFile(`${camera}.next`, y4mVideo(picture(box)));
      await rename(`${camera}.next`, camera);
      const page = await openPage({ locale: "zh-CN" });
      expect(await page.locator("html").getAttribute("lang")).to.equal("zh-CN");
      await page.getByRole("button", { name: "用摄像头扫码" }).click();
      await expectBothLanguages(page, box, "zh-CN", `camera-${box.name}`);
      expect(await page.getByTestId("code-input").inputValue()).to.equal(box.printed);
      // The camera is released once the code is read.
      expect(await page.locator("video").isHidden()).to.equal(true);
      expect(await page.getByTestId("scan-button").getAttribute("aria-pressed")).to.equal("false");
      if (box.status === "unknown") expect(rpc).to.deep.equal([]);
      else expectReadFromChain();
    });
  }

  it("works on a 360×740 phone by keyboard alone: Tab to the code field, type, Enter, and focus lands on the verdict", async function () {
    const page = await openPage({ locale: "en-US", viewport: { width: 360, height: 740 }, mobile: true });
    const focused: (string | null)[] = [];
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press("Tab");
      focused.push(await page.locator(":focus").getAttribute("data-testid"));
    }
    expect(focused).to.deep.equal(["language-switch", "scan-button", "upload-input", "code-input"]);
    await page.keyboard.type(BOXES[2].printed);
    await page.keyboard.press("Enter");
    await expectVerdict(page, BOXES[2], "en");
    expect(await page.locator(":focus").getAttribute("data-testid")).to.equal("verdict");
    expect(await page.evaluate("document.documentElement.scrollWidth")).to.be.at.most(360);
    await page.screenshot({ path: path.join(SHOTS, "phone-recalled-en.png"), fullPage: true });
    expectReadFromChain();
  });

  it("says in words, in the chosen language, that a typed code cannot be read, and keeps the choice of language", async function () {
    const page = await openPage({ locale: "en-US" });
    await page.getByTestId("language-switch").click();
    await page.getByLabel("药盒上的追溯码").fill("not a code");
    await page.getByRole("button", { name: "查验" }).click();
    await page.getByText(INVALID_CODE["zh-CN"], { exact: true }).waitFor({ timeout: 15_000 });
    expect(await page.getByRole("alert").textContent()).to.equal(INVALID_CODE["zh-CN"]);
    expect(await page.getByTestId("verdict").count()).to.equal(0);
    await page.screenshot({ path: path.join(SHOTS, "typed-invalid-zh-CN.png"), fullPage: true });
    await page.reload();
    expect(await page.locator("html").getAttribute("lang")).to.equal("zh-CN");
  });

  it("loaded nothing from outside the gateway: no CDN, and the polyfill's ZXing .wasm from the gateway's own files", function () {
    expect(outside).to.deep.equal([]);
    // Headless Chromium on Linux has no native BarcodeDetector: every page that scanned fetched the polyfill's reader.
    expect(wasm).to.have.length(8);
    for (const url of wasm) expect(url.startsWith(`${origin}assets/zxing_reader-`) && url.endsWith(".wasm"), url).to.equal(true);
  });
});
