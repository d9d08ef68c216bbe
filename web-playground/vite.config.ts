import { defineConfig } from 'vite';
import { viteSingleFile } from 'vite-plugin-singlefile';

// One self-contained `dist/index.html` (JS and CSS inlined) so the gateway can embed a single
// file. Source maps are off and nothing depends on time or absolute paths, so the same sources
// and lockfile give byte-identical output (`check-bundle.sh` relies on that).
export default defineConfig({
  base: './',
  esbuild: {
    jsx: 'automatic',
    legalComments: 'none',
  },
  define: {
    'process.env.NODE_ENV': JSON.stringify('production'),
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    cssCodeSplit: false,
    assetsInlineLimit: Number.MAX_SAFE_INTEGER,
    chunkSizeWarningLimit: 4096,
    reportCompressedSize: false,
    rollupOptions: {
      onwarn(warning, warn) {
        // framer-motion's "use client" markers mean nothing in a client-only bundle.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  plugins: [viteSingleFile({ removeViteModuleLoader: true })],
  server: {
    // `npm run dev` against a running gateway (or `npm run mock`): forward the API.
    proxy: {
      '/graphql': process.env.PLAYGROUND_API ?? 'http://127.0.0.1:4000',
    },
  },
});
