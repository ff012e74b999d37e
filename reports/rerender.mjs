// Re-render the report's pages with new data, reusing the app Evidence compiled last time.
//
// `evidence build` compiles the whole app twice (SvelteKit's server and client bundles, most of its CPU) and then
// prerenders every page. The compiled bundles depend on the pages, the packages and the Evidence config, never on the
// data: the prerendering server reads the data at run time from static/data (written by `evidence sources`). So when
// nothing the compile reads has changed (opsready/report.py keeps its key beside the compiled output), the build only
// has to prerender again. This script runs SvelteKit's own second half of `vite build` on the kept output:
// `analyse` and `prerender` (@sveltejs/kit/src/core/postbuild), then writes the site as @sveltejs/adapter-static does
// (client files, then the prerendered pages and their dependencies, into ./build). The data files go in fresh from
// static/data; they are not renamed by content hash as `evidence build` renames them (the offline report's browser
// reads only data/manifest.json, never the parquet files).
//
// Run it with the Evidence template (reports/.evidence/template) as the working directory, after `evidence sources`.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const KIT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules', '@sveltejs', 'kit');
const kit = (file) => import(pathToFileURL(path.join(KIT, file)).href);

const { load_config } = await kit('src/core/config/index.js');
const { default: create_manifest_data } = await kit('src/core/sync/create_manifest_data/index.js');
const { default: analyse } = await kit('src/core/postbuild/analyse.js');
const { default: prerender } = await kit('src/core/postbuild/prerender.js');
const { get_env } = await kit('src/exports/vite/utils.js');

const config = await load_config();
const out = path.join(config.kit.outDir, 'output');
// The last build's pages and query results go; so do Evidence's cached query results (they would answer the
// pages' queries from the old data).
fs.rmSync(path.join(out, 'prerendered'), { recursive: true, force: true });
fs.rmSync(path.join('.evidence-queries', 'cache'), { recursive: true, force: true });
const manifest_path = path.join(out, 'server', 'manifest-full.js');
const server_manifest = JSON.parse(fs.readFileSync(path.join(out, 'server', '.vite', 'manifest.json'), 'utf-8'));
const env = get_env(config.kit.env, 'production');
const all_env = { ...env.private, ...env.public };

const metadata = await analyse({
	manifest_path,
	manifest_data: create_manifest_data({ config }),
	server_manifest,
	tracked_features: {},
	env: all_env
});

console.log('analysed the compiled app; prerendering the pages');
const { prerendered } = await prerender({ out, manifest_path, metadata, verbose: false, env: all_env });
console.log(`prerendered ${prerendered.pages.size} pages`);

// adapter-static (pages = assets = ./build): its env module, the client files, the prerendered files.
const dependencies = path.join(out, 'prerendered', 'dependencies');
fs.mkdirSync(path.join(dependencies, config.kit.appDir), { recursive: true });
fs.writeFileSync(path.join(dependencies, config.kit.appDir, 'env.js'), `export const env=${JSON.stringify(env.public)}`);
const site = 'build';
fs.rmSync(site, { recursive: true, force: true });
fs.cpSync(path.join(out, 'client'), site, { recursive: true, filter: (from) => path.basename(from) !== '.vite' });
fs.rmSync(path.join(site, 'data'), { recursive: true, force: true });
fs.cpSync(path.join('static', 'data'), path.join(site, 'data'), { recursive: true });
fs.cpSync(path.join(out, 'prerendered', 'pages'), site, { recursive: true });
fs.cpSync(dependencies, site, { recursive: true });
console.log(`Wrote site to "${site}"`);
