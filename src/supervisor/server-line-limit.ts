/**
 * The longest line of a model server's output mallex holds (64 Ki characters): a longer one is taken
 * in pieces of this size, for server.log, the lines kept for error messages and the progress parser.
 */
export const MAX_SERVER_LINE_CHARS = 64 * 1024;
