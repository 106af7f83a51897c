-- Job claims: a worker claims due jobs for a few seconds before it advances them, so that the workers of several
-- replicas share the due jobs instead of all trying the same ones, and a stalled worker's late advance is refused by
-- the claim's token. The claim ends with the advance it covered.
ALTER TABLE jobs ADD COLUMN claim_holder TEXT;
ALTER TABLE jobs ADD COLUMN claim_token INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN claim_until INTEGER NOT NULL DEFAULT 0;
