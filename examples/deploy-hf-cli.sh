printf '%s\n' '{"anchor": "a red car", "positive": "the car painted red"}' '{"anchor": "a green bird", "positive": "the bird painted green"}' > pairs.jsonl
pnpm contrastive train --text pairs.jsonl --encoder transformer --hidden 32 --layers 2 --epochs 1 --out text-model
pnpm contrastive export --model text-model --format hf --normalize --out text-model-hf
ls text-model-hf
