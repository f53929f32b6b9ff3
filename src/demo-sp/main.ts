// Starts one demo SP from the environment: `node src/demo-sp/main.ts`.
import { z } from 'zod';
import { createDemoSp } from './index.ts';

const envSchema = z.object({
  DEMO_SP_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:3002'),
  DEMO_SP_HOST: z.string().min(1).optional(),
  DEMO_SP_ISSUER: z.url({ protocol: /^https?$/ }).default('http://localhost:3000'),
  DEMO_SP_CLIENT_ID: z.string().min(1).default('demo-sp'),
  DEMO_SP_CLIENT_SECRET: z.string().min(1).default('demo-sp-secret-at-least-32-characters-long!'),
});

async function main(): Promise<void> {
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`demo-sp: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const env = parsed.data;
  const demoSp = await createDemoSp({
    url: env.DEMO_SP_URL,
    issuer: env.DEMO_SP_ISSUER,
    clientId: env.DEMO_SP_CLIENT_ID,
    clientSecret: env.DEMO_SP_CLIENT_SECRET,
    ...(env.DEMO_SP_HOST === undefined ? {} : { host: env.DEMO_SP_HOST }),
    logger: true,
  });
  await demoSp.listen();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      demoSp.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

main().catch((err: unknown) => {
  // One line naming the problem (options and environment errors start with "demo-sp:").
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
