// Globals of the pages that the type checker cannot see: the socket.io client is a classic script
// (vendor/socket.io.msgpack.min.js) that defines `io`.
declare global {
  interface Window {
    io?: (url: string, options: object) => import("../core/transport.js").Socket;
  }
}
export {};
