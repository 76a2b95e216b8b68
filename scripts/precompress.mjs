// Writes <file>.br (quality 11) and <file>.gz (level 9) next to each asset in the given
// directory, so the server sends the smallest encoding without compressing per request.
// Node's zlib does both, and node is already needed for the build (wasm-opt).
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const dir = process.argv[2];
if (!dir) throw new Error("usage: node scripts/precompress.mjs <dir>");
for (const name of fs.readdirSync(dir)) {
  if (!/\.(wasm|js|css)$/.test(name)) continue;
  const file = path.join(dir, name);
  const data = fs.readFileSync(file);
  const br = zlib.brotliCompressSync(data, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
  fs.writeFileSync(file + ".br", br);
  fs.writeFileSync(file + ".gz", zlib.gzipSync(data, { level: 9 }));
  console.log(`${name}: ${data.length} B, brotli ${br.length} B`);
}
