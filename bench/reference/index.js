// The Socket.IO tutorial's chat server (https://socket.io/docs/v4/tutorial/step-4), unchanged
// in what it does: express serves the page, and every "chat message" is re-emitted to every
// connected socket, the sender included. Only the port is configurable, so the benchmark can
// run it beside Natter on a free loopback port.
//
//   PORT=3100 node index.js
"use strict";

const express = require("express");
const { createServer } = require("node:http");
const { join } = require("node:path");
const { Server } = require("socket.io");

const app = express();
const server = createServer(app);
const io = new Server(server);

app.get("/", (req, res) => {
  res.sendFile(join(__dirname, "index.html"));
});

io.on("connection", (socket) => {
  socket.on("chat message", (msg) => {
    io.emit("chat message", msg);
  });
});

const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || "127.0.0.1";
server.listen(port, host, () => {
  console.log(`server running at http://${host}:${port}`);
});
