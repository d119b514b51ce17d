// What the browser has and older Node versions lack as globals, for modules that expect them at
// import time (the yjs bundle reads `crypto`). Import this before such a module.
import { webcrypto } from "node:crypto";

if (!globalThis.crypto) globalThis.crypto = /** @type {Crypto} */ (webcrypto);
