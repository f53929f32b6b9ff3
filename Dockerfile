# Relais: the hub runs its TypeScript directly with Node 22's type stripping (`node src/main.ts`),
# so there is no build step: one stage installs the production dependencies, the final stage
# adds the sources and runs them with the image's own Node 22 (not the `node` npm package, which
# is a devDependency for machines whose system Node is older).

FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No production dependency has an install script, so none is run.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
# Code and dependencies stay owned by root (read-only for the app); only .relais (the embedded
# PGlite, used when DATABASE_URL is unset) is writable by the unprivileged user.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY src ./src
COPY migrations ./migrations
COPY views ./views
COPY public ./public
RUN mkdir -p /app/.relais && chown node:node /app/.relais
USER node
# Hub, and in demo mode the mock IdP (3001) and the demo SP (3002).
EXPOSE 3000 3001 3002
# slim has no curl: Node's fetch. Assumes HOST lets the hub answer on 127.0.0.1 (0.0.0.0 does).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# oidc-provider keeps each request's context in an AsyncLocalStorage: on Node 22 that costs a
# promise hook on every promise, unless AsyncLocalStorage runs on async context frames (Node 24's
# default). Same flag as `npm start`.
CMD ["node", "--experimental-async-context-frame", "src/main.ts"]
