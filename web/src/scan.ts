/**
 * Reading a code from the camera or from a photo: the browser's BarcodeDetector where it
 * reads Data Matrix, else the `barcode-detector` polyfill (ZXing compiled to WebAssembly),
 * loaded on first use, with its .wasm served by us (never a CDN).
 */
import readerWasmUrl from "zxing-wasm/reader/zxing_reader.wasm?url";

/** The formats we look for: GS1 DataMatrix on packs; QR and Code 128 do no harm. */
const FORMATS = ["data_matrix", "qr_code", "code_128"] as const;

interface Detector {
  detect(source: ImageBitmapSource | HTMLVideoElement): Promise<{ rawValue: string }[]>;
}

interface NativeDetectorClass {
  new (options: { formats: string[] }): Detector;
  getSupportedFormats(): Promise<string[]>;
}

let detector: Promise<Detector> | undefined;

async function nativeDetector(): Promise<Detector | undefined> {
  const Native = (globalThis as { BarcodeDetector?: NativeDetectorClass }).BarcodeDetector;
  if (Native === undefined) return undefined;
  try {
    const supported = await Native.getSupportedFormats();
    if (!supported.includes("data_matrix")) return undefined;
    return new Native({ formats: FORMATS.filter((f) => supported.includes(f)) });
  } catch {
    return undefined;
  }
}

async function polyfillDetector(): Promise<Detector> {
  const { BarcodeDetector, prepareZXingModule } = await import("barcode-detector/ponyfill");
  prepareZXingModule({
    overrides: {
      locateFile: (path: string, prefix: string) => (path.endsWith(".wasm") ? new URL(readerWasmUrl, location.href).href : prefix + path),
    },
  });
  return new BarcodeDetector({ formats: [...FORMATS] }) as Detector;
}

/** The detector, created once. */
export function barcodeDetector(): Promise<Detector> {
  detector ??= nativeDetector()
    .then((native) => native ?? polyfillDetector())
    .catch((error: unknown) => {
      detector = undefined;
      throw error;
    });
  return detector;
}

/** The first code in a photo, or `undefined`. */
export async function codeFromPhoto(file: Blob): Promise<string | undefined> {
  const [found] = await (await barcodeDetector()).detect(await createImageBitmap(file));
  return found?.rawValue;
}

/** A running camera scan; `stop()` releases the camera. */
export interface CameraScan {
  /** The first code seen, or `undefined` if stopped before one was seen. */
  result: Promise<string | undefined>;
  stop(): void;
}

/**
 * Starts the rear camera in `video` and looks for a code a few times a second until one
 * is found or `stop()` is called. Rejects if the camera cannot be opened.
 */
export async function scanWithCamera(video: HTMLVideoElement): Promise<CameraScan> {
  const [reader, stream] = await Promise.all([
    barcodeDetector(),
    navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false }),
  ]);
  video.srcObject = stream;
  await video.play();
  let stopped = false;
  const stop = () => {
    stopped = true;
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  const result = (async () => {
    while (!stopped) {
      if (video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) {
        const [found] = await reader.detect(video).catch(() => []);
        if (found !== undefined && !stopped) {
          stop();
          return found.rawValue;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return undefined;
  })();
  return { result, stop };
}
