// Types of yjs.bundle.js for the type checker (web_client/tools): the bundle is yjs itself.
export * from "yjs";
