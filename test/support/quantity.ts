/** Kubernetes quantities as Envoy Gateway reads a buffer limit (`10Mi`, `500k`, `1048576`). */
const FACTORS: Record<string, number> = {
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The bytes of a quantity in the form the buffer-limit fields accept; throws on any other. */
export function bytesOfQuantity(quantity: string): number {
  const match = /^([1-9][0-9]*)([EPTGMK]i|[EPTGMk])?$/.exec(quantity);
  if (!match) throw new Error(`not a buffer-limit quantity: "${quantity}"`);
  return Number(match[1]) * FACTORS[match[2] ?? ""];
}
