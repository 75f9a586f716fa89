// Reference cases of test/reference/text (PyTorch float64 truth, gen_text.py).
import { readFileSync } from 'node:fs';
import type { Case } from './layers.js';

export function loadTextCases(file: string): Case[] {
  return JSON.parse(readFileSync(new URL(`./reference/text/${file}`, import.meta.url), 'utf8'));
}
