/**
 * Certificates for the local control plane, made with openssl: a CA, the API server's serving
 * certificate (IP and DNS SANs: Node and Go check IP hosts against IP SANs only), an admin client
 * certificate in system:masters, the service-account signing key pair, and Envoy Gateway's xDS
 * certificate.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../../support/run";

export interface Certificates {
  ca: string;
  caKey: string;
  serving: string;
  servingKey: string;
  admin: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPublicKey: string;
  envoyGateway: string;
  envoyGatewayKey: string;
}

function signed(dir: string, name: string, subject: string, extensions: string): void {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  run("openssl", [
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-subj",
    subject,
    "-keyout",
    key,
    "-out",
    csr,
  ]);
  writeFileSync(ext, extensions);
  run("openssl", [
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    join(dir, "ca.crt"),
    "-CAkey",
    join(dir, "ca.key"),
    "-CAcreateserial",
    "-days",
    "7",
    "-extfile",
    ext,
    "-out",
    join(dir, `${name}.crt`),
  ]);
}

export function makeCertificates(dir: string): Certificates {
  run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-days",
    "7",
    "-subj",
    "/CN=ai-gateway-testcluster-ca",
    "-keyout",
    join(dir, "ca.key"),
    "-out",
    join(dir, "ca.crt"),
  ]);
  signed(
    dir,
    "apiserver",
    "/CN=localhost",
    "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n",
  );
  signed(dir, "admin", "/O=system:masters/CN=admin", "extendedKeyUsage=clientAuth\n");
  // What Envoy Gateway's certgen job makes for its xDS server (server and client auth: the Envoy
  // proxies present the same CA's certificates).
  signed(
    dir,
    "envoy-gateway",
    "/CN=envoy-gateway",
    "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:envoy-gateway\nextendedKeyUsage=serverAuth,clientAuth\n",
  );
  run("openssl", ["genrsa", "-out", join(dir, "sa.key"), "2048"]);
  run("openssl", ["rsa", "-in", join(dir, "sa.key"), "-pubout", "-out", join(dir, "sa.pub")]);
  return {
    ca: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    serving: join(dir, "apiserver.crt"),
    servingKey: join(dir, "apiserver.key"),
    admin: join(dir, "admin.crt"),
    adminKey: join(dir, "admin.key"),
    serviceAccountKey: join(dir, "sa.key"),
    serviceAccountPublicKey: join(dir, "sa.pub"),
    envoyGateway: join(dir, "envoy-gateway.crt"),
    envoyGatewayKey: join(dir, "envoy-gateway.key"),
  };
}
