import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath, URL } from "node:url";
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

import { precompress } from "./vite-plugins/precompress";

const backend = "http://127.0.0.1:8000";

const testFiles = ["src/**/*.test.{ts,tsx}"];
// The test files that mock a module: see `projects` below. (Node 20 has no fs.globSync.)
const isolatedTestFiles = readdirSync(new URL("./src", import.meta.url), { recursive: true, encoding: "utf8" })
  .filter((file) => /\.test\.tsx?$/.test(file))
  .filter((file) => readFileSync(new URL(`./src/${file}`, import.meta.url), "utf8").includes("vi.mock("))
  .map((file) => `src/${file}`);

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
    // A test that clicks through a whole form outlasts Vitest's 5 s on a busy machine, and
    // 20 s at a load of 12 on two cores: the tests assert what a page shows, never how fast.
    testTimeout: 60_000,
    // Vitest keeps a core for itself by default (cores - 1 workers): one worker on a
    // 2-core machine, where the main process sits mostly idle.
    maxWorkers: "100%",
    projects: [
      // Most files share their worker's modules and jsdom (isolate: false): a fresh
      // environment and a fresh import of React, the router and the pages for each file
      // was two thirds of the run's CPU. Testing Library's cleanup and setup.ts's stubs
      // reset what a test leaves behind.
      { extends: true, test: { name: "shared", include: testFiles, exclude: isolatedTestFiles, isolate: false } },
      // A file that replaces a module (vi.mock) gets a fresh module graph, so the
      // replacement reaches no other file.
      { extends: true, test: { name: "isolated", include: isolatedTestFiles, isolate: true } },
    ],
  },
});
