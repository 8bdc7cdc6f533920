/**
 * Real GS1 DataMatrix symbols of unit codes (bwip-js, the BWIPP encoder), drawn as 8-bit
 * grey images: dark modules on white, centred, with at least the symbol's quiet zone.
 */
import bwipjs from "bwip-js";

/** An 8-bit greyscale image, row-major, 0 = black, 255 = white. */
export interface GrayImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** A symbol's modules: `dark[y][x]`. */
export interface Matrix {
  size: { columns: number; rows: number };
  dark: boolean[][];
}

/** The GS1 DataMatrix of `text`, an element string in parenthesised form, e.g. `(01)06901234567892(21)G1(10)L1(17)280630`. */
export function gs1DataMatrix(text: string): Matrix {
  const [symbol] = bwipjs.raw("gs1datamatrix", text, "") as { pixs: number[]; pixx: number; pixy: number }[];
  if (symbol === undefined || symbol.pixx === 0) throw new Error(`bwip-js encoded no symbol for ${text}`);
  const dark = Array.from({ length: symbol.pixy }, (_, y) =>
    Array.from({ length: symbol.pixx }, (_, x) => symbol.pixs[y * symbol.pixx + x] === 1),
  );
  return { size: { columns: symbol.pixx, rows: symbol.pixy }, dark };
}

/**
 * Draws `matrix` centred on a white `width`×`height` canvas, each module `moduleSize`
 * pixels; refuses a canvas that leaves less than the two-module quiet zone DataMatrix needs.
 */
export function drawMatrix(matrix: Matrix, options: { width: number; height: number; moduleSize: number }): GrayImage {
  const { width, height, moduleSize } = options;
  const symbolWidth = matrix.size.columns * moduleSize;
  const symbolHeight = matrix.size.rows * moduleSize;
  const left = Math.floor((width - symbolWidth) / 2);
  const top = Math.floor((height - symbolHeight) / 2);
  if (left < 2 * moduleSize || top < 2 * moduleSize) {
    throw new Error(`a ${matrix.size.columns}×${matrix.size.rows} symbol at ${moduleSize} px does not fit ${width}×${height} with its quiet zone`);
  }
  const pixels = new Uint8Array(width * height).fill(255);
  for (let y = 0; y < symbolHeight; y++) {
    const row = matrix.dark[Math.floor(y / moduleSize)];
    for (let x = 0; x < symbolWidth; x++) {
      if (row[Math.floor(x / moduleSize)]) pixels[(top + y) * width + left + x] = 0;
    }
  }
  return { width, height, pixels };
}
