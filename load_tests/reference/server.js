// Reference server for Tandem's load tests: a minimal Node socket.io 4 relay with the msgpack parser.
// Same event names and room semantics as Tandem's socket protocol (docs/PROTOCOL.md), with no auth,
// no validation beyond "is it a map", no rate limits and no records:
//   join {room, name}  -> ack {ok, participant, participants}; the room gets participant_joined
//   chat {text}        -> the room (sender included) gets chat {message: {from, text}}; ack {ok: true}
//   signal {to, ...}   -> socket `to` gets signal {from, ...}; ack {ok: true}
//   leave {}           -> ack {ok: true}, then disconnect
// Usage: node server.js --port 0 --host 127.0.0.1   (prints "LISTENING <port>" once ready)
"use strict";
const http = require("http");
const { Server } = require("socket.io");
const parser = require("socket.io-msgpack-parser");

function arg(name, dflt) {
  const i = process.argv.indexOf("--" + name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}
const host = arg("host", "127.0.0.1");
const port = parseInt(arg("port", "0"), 10);

const httpServer = http.createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"ok":true}');
    return;
  }
  res.writeHead(404);
  res.end();
});
const io = new Server(httpServer, {
  parser,
  transports: ["websocket", "polling"],
  maxHttpBufferSize: 256 * 1024,
  serveClient: false,
  cors: { origin: false },
});

const err = (code, message) => ({ ok: false, error: { code, message } });
const isMap = (x) => x !== null && typeof x === "object" && !Array.isArray(x);

io.on("connection", (socket) => {
  let room = null;
  let name = null;
  const ack = (cb, value) => { if (typeof cb === "function") cb(value); };

  socket.on("join", (data, cb) => {
    if (!isMap(data) || typeof data.room !== "string") return ack(cb, err("invalid_payload", "room must be a string"));
    if (room !== null) return ack(cb, err("already_joined", "join was sent twice"));
    room = data.room;
    name = typeof data.name === "string" ? data.name : socket.id;
    socket.join(room);
    const me = { id: socket.id, name, state: "connected", room };
    const members = io.sockets.adapter.rooms.get(room) || new Set();
    const participants = [];
    for (const sid of members) {
      const s = io.sockets.sockets.get(sid);
      participants.push({ id: sid, name: s ? s.data.name : sid, state: "connected", room });
    }
    socket.data.name = name;
    socket.to(room).emit("participant_joined", { participant: me });
    ack(cb, { ok: true, participant: me, participants });
  });

  socket.on("chat", (data, cb) => {
    if (room === null) return ack(cb, err("not_joined", "join first"));
    if (!isMap(data) || typeof data.text !== "string") return ack(cb, err("invalid_payload", "text must be a string"));
    io.to(room).emit("chat", { message: { from: socket.id, name, text: data.text } });
    ack(cb, { ok: true });
  });

  socket.on("signal", (data, cb) => {
    if (room === null) return ack(cb, err("not_joined", "join first"));
    if (!isMap(data) || typeof data.to !== "string") return ack(cb, err("invalid_payload", "to must be a string"));
    const { to, ...rest } = data;
    io.to(to).emit("signal", { from: socket.id, ...rest });
    ack(cb, { ok: true });
  });

  socket.on("leave", (data, cb) => {
    ack(cb, { ok: true });
    socket.disconnect(true);
  });

  socket.on("disconnect", () => {
    if (room !== null) io.to(room).emit("participant_left", { participant_id: socket.id, reason: "disconnected" });
  });
});

httpServer.listen(port, host, () => {
  process.stdout.write("LISTENING " + httpServer.address().port + "\n");
});
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
