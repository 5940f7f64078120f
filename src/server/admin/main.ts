// `npm run admin -- …` (or `node dist/server/admin/main.js …`): see commands.ts and docs/deploy.md.
import { loadDotEnv } from '../../store/dot-env.js';
import { runAdmin } from './commands.js';

loadDotEnv(process.env);
runAdmin(process.argv.slice(2), process.env, process.stdout, process.stderr).then((code) => process.exit(code));
