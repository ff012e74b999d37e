// A Svelte preprocessor that imports each Evidence component from its own file instead of the package's index.
//
// `@evidence-dev/core-components` exports every component through one index (dist/index.js, `export *` chains) and
// does not declare `sideEffects: false`, so an `import { BarChart } from '@evidence-dev/core-components'` makes vite
// load, compile and parse every component the package has (its inputs, command palette, maps, code editor...) in
// both the server and the browser bundle before tree-shaking drops them. The report's pages use a handful. Evidence
// injects those imports into each page (sveltekit-autoimport) and its layout imports the package the same way; this
// preprocessor runs after them (reports/svelte.config.js appends it to Evidence's preprocessors) and rewrites
//   import { BarChart, Value } from '@evidence-dev/core-components';
// into one import per name from the file that defines it:
//   import { default as BarChart } from '/…/core-components/dist/unsorted/viz/bar/BarChart.svelte';
// An import it cannot map in full (a namespace import, a name the index does not export) is left as it is.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parse } from 'acorn';

export const PACKAGE = '@evidence-dev/core-components';

const IMPORT = new RegExp(
	String.raw`import\s*\{([^}]*)\}\s*from\s*(['"])${PACKAGE.replace(/[/.-]/g, '\\$&')}\2\s*;?`,
	'g'
);

/** The package's index file (dist/index.js), resolved from this project's node_modules. */
function packageIndex() {
	return fs.realpathSync(createRequire(import.meta.url).resolve(PACKAGE));
}

/** A relative module specifier as Node and vite resolve it: the file, `.js` added, or the folder's index.js. */
function resolveRelative(specifier, fromFile) {
	const base = path.resolve(path.dirname(fromFile), specifier);
	for (const candidate of [base, `${base}.js`, path.join(base, 'index.js')]) {
		if (fs.statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate;
	}
	throw new Error(`${PACKAGE}: cannot resolve ${specifier} from ${fromFile}`);
}

/**
 * Every name a module exports -> { file, name }: the file that defines it and the name it has there, following
 * `export *` and `export { x } from` chains (and `import x …; export { x }`) through the package's own files.
 * An explicit export wins over a star export, as in ES modules.
 */
export function exportMap(file, seen = new Set()) {
	/** @type {Map<string, { file: string, name: string }>} */
	const explicit = new Map();
	const starred = new Map();
	if (seen.has(file) || !file.endsWith('.js')) return explicit;
	seen.add(file);
	const ast = parse(fs.readFileSync(file, 'utf8'), { ecmaVersion: 'latest', sourceType: 'module' });
	const imported = new Map();
	for (const node of ast.body) {
		if (node.type !== 'ImportDeclaration' || !node.source.value.startsWith('.')) continue;
		const from = resolveRelative(node.source.value, file);
		for (const s of node.specifiers) {
			if (s.type === 'ImportSpecifier') imported.set(s.local.name, { from, name: s.imported.name });
			if (s.type === 'ImportDefaultSpecifier') imported.set(s.local.name, { from, name: 'default' });
		}
	}
	const target = (from, name) => {
		if (!from.endsWith('.js')) return { file: from, name };
		return exportMap(from, seen).get(name) ?? { file: from, name };
	};
	for (const node of ast.body) {
		if (node.type === 'ExportAllDeclaration' && !node.exported && node.source.value.startsWith('.')) {
			for (const [name, where] of exportMap(resolveRelative(node.source.value, file), seen)) {
				if (name !== 'default' && !starred.has(name)) starred.set(name, where);
			}
		} else if (node.type === 'ExportNamedDeclaration') {
			if (node.source && !node.source.value.startsWith('.')) continue;
			const from = node.source ? resolveRelative(node.source.value, file) : null;
			for (const s of node.specifiers) {
				const local = s.local.name;
				if (from) explicit.set(s.exported.name, target(from, local));
				else if (imported.has(local)) {
					const { from: source, name } = imported.get(local);
					explicit.set(s.exported.name, target(source, name));
				} else explicit.set(s.exported.name, { file, name: local });
			}
			const declared = node.declaration?.declarations?.map((d) => d.id.name) ?? [node.declaration?.id?.name];
			for (const name of declared.filter(Boolean)) explicit.set(name, { file, name });
		}
	}
	for (const [name, where] of starred) if (!explicit.has(name)) explicit.set(name, where);
	return explicit;
}

/** `import { A, B as C } from PACKAGE` -> one import per name from its defining file, or null if one is unknown. */
export function rewriteImport(specifiers, map) {
	const lines = [];
	for (const spec of specifiers.split(',').map((s) => s.trim()).filter(Boolean)) {
		const [name, local = name] = spec.split(/\s+as\s+/).map((s) => s.trim());
		const where = map.get(name);
		if (!where) return null;
		lines.push(`import { ${where.name} as ${local} } from ${JSON.stringify(where.file)};`);
	}
	return lines.join(' ');
}

/** @returns {import('svelte/compiler').PreprocessorGroup} */
export function slimImports() {
	let map;
	return {
		name: 'opsready-slim-imports',
		markup({ content }) {
			if (!content.includes(PACKAGE)) return;
			map ??= exportMap(packageIndex());
			let changed = false;
			const code = content.replace(IMPORT, (whole, specifiers) => {
				const rewritten = rewriteImport(specifiers, map);
				if (rewritten === null) return whole;
				changed = true;
				return rewritten;
			});
			return changed ? { code } : undefined;
		}
	};
}
