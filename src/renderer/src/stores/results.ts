import { defineStore } from 'pinia';
import type { ReportResult, ReportTable, ResultRecord } from '@shared/api-report';
import { api } from '../api';

/** What a click on a figure opened: the table, the row, the column (or a paper figure), and that row's records. */
export interface FigureSelection {
  table: string;
  row: string | null;
  key: string | null;
  /** the paper figure's label when a paper figure was clicked */
  paper: string | null;
  records: string[];
}

/** The Results view: the report's tables (report.tables) and the record a clicked figure opens (report.record). */
export const useResultsStore = defineStore('results', {
  state: () => ({
    report: null as ReportResult | null,
    /** a records folder the user typed; empty: the engine's default (workspace results/, else ./results) */
    recordsDir: '',
    loading: false,
    error: null as string | null,
    selection: null as FigureSelection | null,
    record: null as { name: string; file: string; record: ResultRecord } | null,
    recordLoading: false,
    recordError: null as string | null,
  }),
  getters: {
    tables(s): ReportTable[] {
      return s.report?.tables ?? [];
    },
  },
  actions: {
    async load() {
      this.loading = true;
      this.error = null;
      try {
        this.report = await api().call('report.tables', this.recordsDir.trim() ? { records: this.recordsDir.trim() } : {});
      } catch (e) {
        this.error = (e as Error).message;
      } finally {
        this.loading = false;
      }
    },
    /** a measured figure: its row's records, the first one opened */
    async openFigure(table: string, row: string, key: string | null) {
      const t = this.tables.find((x) => x.name === table);
      const records = t?.rows.find((r) => r.row === row)?.records ?? [];
      this.selection = { table, row, key, paper: null, records };
      this.record = null;
      if (records.length) await this.openRecord(records[0]);
    },
    /** a paper figure: no record behind it, only its source */
    openPaper(table: string, label: string) {
      this.selection = { table, row: null, key: null, paper: label, records: [] };
      this.record = null;
      this.recordError = null;
    },
    async openRecord(name: string) {
      this.recordLoading = true;
      this.recordError = null;
      try {
        // the folder the tables came from, so a record opens from the same place
        this.record = await api().call('report.record', { name, ...(this.report ? { records: this.report.recordsDir } : {}) });
      } catch (e) {
        this.recordError = (e as Error).message;
      } finally {
        this.recordLoading = false;
      }
    },
    close() {
      this.selection = null;
      this.record = null;
      this.recordError = null;
    },
  },
});
