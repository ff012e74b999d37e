// Evidence merges this into its SvelteKit config (template/svelte.config.js, loadUserConfiguration): our
// preprocessors run after Evidence's own, so they see the component imports Evidence injects into each page.
import { slimImports } from './slim-imports.js';

const preprocessors = [slimImports()];

// A getter on the class, not an own property: Evidence deletes `preprocess` from this module's default export
// after merging it, and the module stays cached while SvelteKit loads its config again for the browser bundle, so
// a plain property would reach the server bundle only. `in` still finds the getter, `delete` leaves it, and
// Evidence's for-in merge skips it (class accessors are not enumerable).
class ReportSvelteConfig {
	get preprocess() {
		return preprocessors;
	}
}

export default new ReportSvelteConfig();
