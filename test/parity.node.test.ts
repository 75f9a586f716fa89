import * as lib from '../packages/contrastive/src/index.node.js';
import { paritySuite } from './parity.shared.js';

paritySuite(lib);
