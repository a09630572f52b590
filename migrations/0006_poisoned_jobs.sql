-- A job that was running when the process died: counted, so a job that takes the process down
-- every time (a crafted page, say) is set aside as 'poisoned' after the second time instead of
-- stopping every restart. Retried only by hand (Sources page).
ALTER TABLE jobs ADD COLUMN crashes INTEGER NOT NULL DEFAULT 0;
