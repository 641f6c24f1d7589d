import { defineConfig } from 'tsup';
import { nodeAndBrowserBuilds } from '../../tsup.shared.js';

export default defineConfig(nodeAndBrowserBuilds());
