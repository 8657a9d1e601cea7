import { fileURLToPath, URL } from "node:url";
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

import { precompress } from "./vite-plugins/precompress";

const backend = "http://127.0.0.1:8000";

// Paths served by the FastAPI backend. `/auth/callback` is deliberately absent:
// it is a route of this single-page app.
const proxiedPaths = ["/api", "/auth/github", "/auth/link", "/auth/logout", "/health", "/ready"];

export default defineConfig({
  // precompress: brotli and gzip copies of the build for infrasync/frontend.py to send.
  plugins: [react(), tailwindcss(), precompress()],
  resolve: {
    alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) },
  },
  build: {
    // The Python package serves these files from `/`; hashed files land in `assets/`.
    outDir: "../infrasync/web_dist",
    emptyOutDir: true,
    assetsDir: "assets",
  },
  server: {
    proxy: Object.fromEntries(proxiedPaths.map((path) => [path, { target: backend, changeOrigin: false }])),
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    // A test that clicks through a whole form outlasts Vitest's 5 s on a busy machine.
    testTimeout: 20_000,
    // Vitest keeps a core for itself by default (cores - 1 workers): one worker on a
    // 2-core machine, where the main process sits mostly idle. Every test file still runs
    // in a fresh process of its own (pool "forks", isolated).
    maxWorkers: "100%",
  },
});
