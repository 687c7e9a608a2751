# The service image for docker-compose and production: compiled JavaScript on Node 22, no dev dependencies.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY migrations ./migrations
# named queries, read at run time (src/analytics/meal-response.ts)
COPY sql ./sql
# The web view's static files: src/routes/web.ts reads them from the project root, as sql/ is read.
COPY src/web ./src/web
USER node
EXPOSE 3000
CMD ["node", "dist/cli/serve.js"]
