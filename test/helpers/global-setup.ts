// Placeholder replaced by the platform work: starts nothing when only unit tests run.
export default async function globalSetup(): Promise<void> {}
