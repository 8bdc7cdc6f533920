/**
 * YUV4MPEG2 video from a still image, for Chromium's fake camera
 * (`--use-file-for-fake-video-capture=FILE.y4m`, which loops the file).
 */
import type { GrayImage } from "./barcodes.js";

/**
 * `frames` identical 4:2:0 frames of `image` at `fps` frames per second: the luma plane
 * is the image, both chroma planes neutral grey (128). Width and height must be even.
 */
export function y4mVideo(image: GrayImage, frames = 5, fps = 10): Buffer {
  const { width, height } = image;
  if (width % 2 !== 0 || height % 2 !== 0) throw new Error(`4:2:0 needs an even size, not ${width}×${height}`);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`, "ascii");
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from("FRAME\n", "ascii"), Buffer.from(image.pixels), chroma]);
  return Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]);
}
