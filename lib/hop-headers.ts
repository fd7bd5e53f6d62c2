/**
 * Headers that belong to one HTTP connection, not to the message (RFC 9110 section 7.6.1): a proxy
 * never passes them on.
 */
export const HOP_BY_HOP_HEADERS: readonly string[] = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
];
