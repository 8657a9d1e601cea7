import { CopyField } from "@/components/CopyField";

/** The digest's own address, to share: it opens this page directly, for anyone in the org. */
export function permalink(origin: string, slug: string, digestId: string): string {
  return `${origin}/orgs/${encodeURIComponent(slug)}/digests/${encodeURIComponent(digestId)}`;
}

export function DigestPermalink({ slug, digestId }: { slug: string; digestId: string }) {
  return (
    <div className="max-w-xl" data-testid="digest-permalink">
      <CopyField label="Link to this digest" value={permalink(window.location.origin, slug, digestId)} />
    </div>
  );
}
