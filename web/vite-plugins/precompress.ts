import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import type { Plugin } from "vite";

/** The initial load's JavaScript (the entry and what index.html preloads) may not exceed this, gzipped. */
export const MAIN_BUNDLE_LIMIT_KB = 200;

const COMPRESSIBLE = /\.(js|css|html|svg|json|txt|map)$/;
// Below a packet or two, compressing saves nothing a user would notice.
const MIN_BYTES = 1024;

function filesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The scripts index.html loads before the app can paint: its module entry and preloads. */
export function initialScripts(indexHtml: string): string[] {
  const found = [...indexHtml.matchAll(/<(?:script|link)\b[^>]*(?:src|href)="\/(assets\/[^"]+\.js)"/g)];
  return found.map((match) => match[1] as string);
}

/**
 * Writes a brotli (quality 11) and a gzip (level 9) copy beside every compressible file
 * of the build, which infrasync/frontend.py sends to browsers that take them: compressed
 * once here, at the highest levels, rather than on every request. Then prints what the
 * first page load costs, gzipped, against MAIN_BUNDLE_LIMIT_KB.
 */
export function precompress(): Plugin {
  let outDir = "";
  return {
    name: "infrasync-precompress",
    apply: "build",
    configResolved(config) {
      outDir = config.build.outDir;
    },
    closeBundle() {
      for (const path of filesUnder(outDir)) {
        if (!COMPRESSIBLE.test(path)) continue;
        const body = readFileSync(path);
        if (body.length < MIN_BYTES) continue;
        writeFileSync(`${path}.gz`, gzipSync(body, { level: 9 }));
        writeFileSync(
          `${path}.br`,
          brotliCompressSync(body, {
            params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
          }),
        );
      }
      const scripts = initialScripts(readFileSync(join(outDir, "index.html"), "utf8"));
      let raw = 0;
      let gzipped = 0;
      let brotli = 0;
      for (const script of scripts) {
        const body = readFileSync(join(outDir, script));
        raw += body.length;
        gzipped += gzipSync(body, { level: 9 }).length;
        brotli += brotliCompressSync(body).length;
        console.log(`  initial: ${relative(outDir, join(outDir, script))}`);
      }
      const kb = (bytes: number) => (bytes / 1024).toFixed(1);
      console.log(
        `Main bundle (entry + preloads, ${scripts.length} files): ${kb(raw)} KB, ${kb(gzipped)} KB gzip, ` +
          `${kb(brotli)} KB brotli; limit ${MAIN_BUNDLE_LIMIT_KB} KB gzip`,
      );
    },
  };
}
