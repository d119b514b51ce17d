// The browser's storages, or null where the browser refuses them (a privacy setting, a sandboxed
// frame): every caller goes on without remembering.

/** localStorage: kept across visits. @returns {Storage | null} */
export function localStore() {
  try {
    return window.localStorage;
  } catch (e) {
    return null;
  }
}

/** sessionStorage: this tab's, kept across its reloads. @returns {Storage | null} */
export function tabStore() {
  try {
    return window.sessionStorage;
  } catch (e) {
    return null;
  }
}
