import * as lib from '../packages/contrastive/src/index.browser.js';
import { paritySuite } from './parity.shared.js';

paritySuite(lib);
