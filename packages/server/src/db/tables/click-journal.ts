/** A flush's clicks, appended as one row and folded into the aggregates later. */
export interface LinkClickJournalTable {
  /** Increasing with every row: above every row the journal holds. */
  position: number;
  /** JSON: `[[linkId, uncounted, [[day, referrer, device, browser, bot, clicks], ...]], ...]`. */
  clicks: string;
  /** ms since the epoch. */
  created_at: number;
}

/** How far the fold under way got: rows up to `upto_position`, links up to `through_link_id`. */
export interface LinkClickFoldsTable {
  /** `fold`: there is at most one. */
  name: string;
  upto_position: number;
  through_link_id: string;
}

/** Row types of the click journal's tables, as Kysely sees them. */
export interface ClickJournalTables {
  link_click_journal: LinkClickJournalTable;
  link_click_folds: LinkClickFoldsTable;
}
