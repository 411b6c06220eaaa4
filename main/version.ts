import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The installed Iris's package.json, found by walking up from this file (works from src and dist). */
function findPackageJson(): { name: string; version: string; root: string } {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      const parsed = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (parsed.name === 'iris' && parsed.version) return { name: parsed.name, version: parsed.version, root: dir };
    }
    const parent = path.dirname(dir);
    if (parent === dir) return { name: 'iris', version: '0.0.0', root: process.cwd() };
    dir = parent;
  }
}

const irisPackage = findPackageJson();
/** The folder of the installed Iris (holds package.json and the bundled models/ catalog). */
export const irisRoot = irisPackage.root;
export const irisVersion = irisPackage.version;
