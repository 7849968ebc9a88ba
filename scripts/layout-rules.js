// Which folder of src/ may import which: the one table scripts/check-layout.js enforces (in `npm test`,
// through test/layout.test.ts) and ARCHITECTURE.md describes, paragraph by paragraph (the test checks
// the two agree). Bottom first: a folder lists only folders above it in this file, so imports flow one
// way. A file in a subfolder (router/…, observe/dashboard/…) belongs to its top folder; a file in a
// folder may import any file of the same folder. src/index.ts, the public API, may import any folder.

/** @type {Record<string, readonly string[]>} */
export const LAYOUT_RULES = {
  shared: [],
  config: ["shared"],
  "linear-regex": ["shared"],
  compile: ["shared", "config", "linear-regex"],
  templates: ["shared", "compile"],
  tools: ["shared"],
  translate: ["shared", "tools"],
  http: ["shared"],
  engine: ["shared", "http"],
  supervisor: ["shared", "config", "compile"],
  backends: ["shared", "config", "compile", "translate", "http", "engine", "supervisor"],
  router: ["shared", "config", "compile", "linear-regex", "templates", "translate", "backends"],
  trim: ["shared", "compile", "linear-regex", "templates", "translate", "router"],
  observe: ["shared", "config", "compile", "translate", "trim", "router", "backends", "supervisor"],
  pipeline: ["shared", "compile", "templates", "tools", "translate", "trim", "router", "http", "backends", "supervisor", "observe"],
  server: ["shared", "config", "compile", "templates", "tools", "translate", "trim", "router", "http", "engine", "backends", "supervisor", "observe", "pipeline"],
  setup: ["shared", "config", "compile", "supervisor"],
  doctor: ["shared", "config", "compile", "trim", "router", "http", "engine", "backends", "supervisor", "observe", "setup"],
  eval: ["shared", "compile", "translate", "observe"],
  cli: ["shared", "config", "compile", "templates", "translate", "router", "engine", "backends", "supervisor", "observe", "pipeline", "server", "setup", "doctor", "eval"],
};
