import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The app is served by the Switchboard server at `/`; `npm run dev -w @switchboard/web`
// proxies the API and the WebSocket to a server on :3000.
export default defineConfig({
  plugins: [react()],
  resolve: { conditions: ['@switchboard/source', 'module', 'browser', 'development|production'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    rolldownOptions: {
      treeshake: {
        // The shared package's modules only declare schemas and constants; the app uses its
        // types, limits and error table, so the zod schemas it never reads can be dropped.
        moduleSideEffects: (id: string) => !/[\\/]packages[\\/]shared[\\/]/.test(id),
      },
    },
  },
  server: {
    proxy: {
      '/api': 'http://localhost:3000',
      '/ws': { target: 'ws://localhost:3000', ws: true },
    },
  },
});
