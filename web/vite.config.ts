/**
 * Builds the verification page into web/dist, which the gateway serves at `/`. Everything,
 * the ZXing .wasm included, is emitted as our own static files: nothing loads from a CDN.
 */
import { fileURLToPath } from "node:url";

import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  base: "/",
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL("./dist", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    // The .wasm stays a file of its own (never inlined as base64).
    assetsInlineLimit: (file) => (file.endsWith(".wasm") ? false : undefined),
    chunkSizeWarningLimit: 600,
  },
  // `vite --config web/vite.config.ts` for working on the page: the API from a running gateway.
  server: {
    fs: { allow: [fileURLToPath(new URL("..", import.meta.url))] },
    proxy: { "/v1": process.env.MEDSTATE_GATEWAY ?? "http://127.0.0.1:8080" },
  },
});
