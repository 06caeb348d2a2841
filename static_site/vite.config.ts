/// <reference types="vitest/config" />
import { defineConfig, loadEnv } from "vite";

// `npm run dev` proxies /api to a locally running API (`python -m local.run` or the Functions
// host); the built app is served by the local runner or Azure Static Web Apps instead.
export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, process.cwd(), "");
  const apiTarget = env.API_PROXY_TARGET ?? "http://127.0.0.1:7071";
  return {
    server: {
      proxy: { "/api": { target: apiTarget, changeOrigin: true } },
    },
    build: {
      target: "es2022",
      sourcemap: true,
      chunkSizeWarningLimit: 600,
    },
    test: {
      environment: "node",
      include: ["test/**/*.test.ts"],
      // *.node.test.ts talk to a running gRPC-Web bridge (BRIDGE_URL, tokens): only the pytest
      // wrapper tests/local/test_grpcweb_connect_node.py runs them.
      exclude: (process.env.BRIDGE_URL ?? env.BRIDGE_URL) ? ["**/node_modules/**"] : ["**/node_modules/**", "test/**/*.node.test.ts"],
    },
  };
});
