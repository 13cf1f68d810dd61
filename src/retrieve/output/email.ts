/**
 * The e-mail at the end of a run (the original's SendEmail), through SMTP with nodemailer: a
 * well-kept library that speaks STARTTLS, TLS and authentication, where the original piped text
 * into the `mail` command through a shell. The message holds counts and paths, never PHI.
 */

export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly from: string;
  readonly to: readonly string[];
  readonly username: string | null;
  readonly password: string | null;
}

export interface RunSummaryMail {
  readonly runId: string;
  readonly ending: string;
  readonly pacs: string;
  readonly counts: Readonly<Record<string, number>>;
  readonly reportPath: string;
  readonly extraPaths?: readonly string[] | undefined;
  readonly error?: string | undefined;
}

export function summaryText(mail: RunSummaryMail): { subject: string; text: string } {
  const counts = Object.entries(mail.counts)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
  return {
    subject: `Niffler retrieval ${mail.runId} ${mail.ending}: ${counts || 'no rows'}`,
    text: [
      `Niffler retrieval ${mail.runId} from ${mail.pacs} ${mail.ending}.`,
      '',
      `Rows: ${counts || 'none'}.`,
      ...(mail.error === undefined ? [] : [`Error: ${mail.error}`]),
      '',
      `Report: ${mail.reportPath}`,
      ...(mail.extraPaths ?? []).map((p) => `Output: ${p}`),
      '',
    ].join('\n'),
  };
}

/** Sends the summary; rejects with the SMTP error (the caller logs it: the run is not undone). */
export async function sendRunMail(smtp: SmtpSettings, mail: RunSummaryMail): Promise<void> {
  // Loaded here: most runs send no e-mail, and nodemailer costs ~40 ms of every start.
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.username !== null && {
      auth: { user: smtp.username, pass: smtp.password ?? '' },
    }),
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  });
  try {
    const { subject, text } = summaryText(mail);
    await transport.sendMail({ from: smtp.from, to: [...smtp.to], subject, text });
  } finally {
    transport.close();
  }
}
