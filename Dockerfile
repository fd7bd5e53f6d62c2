# The ext_proc server (the data plane). The bundle holds the server and every library it uses, so
# the image has no node_modules; the .proto files it loads at run time sit beside it.
#
#   docker build -t <registry>/ai-gateway-extproc:<version> .
#   AIGW_EXTPROC_IMAGE=<registry>/ai-gateway-extproc:<version> npm run build   # manifests naming it

FROM node:20-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:extproc

FROM node:20-slim
# MALLOC_ARENA_MAX=2: glibc gives each thread that allocates (the GC's helpers, libuv's pool) an
# arena of its own, up to eight per core, and each keeps what it once held. Two arenas: 6-15 MB
# less resident memory after load, with 1,000 streams open (bench/extproc runs with this ENV).
ENV NODE_ENV=production MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /src/dist/extproc/ /app/
# The image's own non-root user; the server writes nothing to disk, so the root filesystem can be
# read-only.
USER node
EXPOSE 1063 1064
HEALTHCHECK --interval=10s --timeout=5s CMD ["node", "/app/server.js", "healthcheck"]
# No --enable-source-maps: Node reads the whole source map at start and keeps it, about 60 MB of
# resident memory in every pod. The map ships beside the bundle; set NODE_OPTIONS=--enable-source-maps
# on the Deployment to have stack traces name the TypeScript sources.
# A young generation of 8 MB semi-spaces (Node's default is 16): about 15 MB less resident memory
# under load, the same CPU per request, and a p99 no worse (bench/extproc runs these flags).
ENTRYPOINT ["node", "--max-semi-space-size=8", "/app/server.js"]
