/** Files shipped inside the CLI package (sources, sha256 and licenses in assets/PROVENANCE.md). */
import { fileURLToPath } from 'node:url';

/**
 * The trained model `legato demo` samples from first: Karpathy's tinyllamas stories260K
 * (TinyStories, MIT), 1.2 MB. The path works from `src/` and from the built `dist/` alike.
 */
export const DEMO_MODEL_PATH = fileURLToPath(new URL('../assets/stories260K.gguf', import.meta.url));
