printf '%s\n' '{"anchor": "a red car", "positive": "the car painted red"}' '{"anchor": "a blue cup", "positive": "the cup painted blue"}' \
  '{"anchor": "a green bird", "positive": "the bird painted green"}' '{"anchor": "a white house", "positive": "the house painted white"}' > pairs.jsonl
printf '%s\n' '{"_id": "q1", "text": "a red car"}' '{"_id": "q2", "text": "a green bird"}' > queries.jsonl
printf '%s\n' '{"_id": "d1", "text": "the car painted red"}' '{"_id": "d2", "text": "the bird painted green"}' '{"_id": "d3", "text": "the cup painted blue"}' > corpus.jsonl
printf 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n' > qrels.tsv
pnpm contrastive train --text pairs.jsonl --encoder static --loss mnrl --dim 32 --epochs 3 --batch-size 4 --out my-model
pnpm contrastive eval --model my-model --queries queries.jsonl --corpus corpus.jsonl --qrels qrels.tsv --json
printf 'a red car\nthe bird painted green\n' > texts.txt
pnpm contrastive embed --model my-model --text texts.txt --out emb.npy
