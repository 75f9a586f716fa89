printf 'A man is eating food.\nThe sky is blue.\n' > texts.txt
pnpm contrastive embed --model .cache/models/all-MiniLM-L6-v2 --text texts.txt --out emb.npy
