import { cn } from "@/lib/utils";

/** GitHub avatar, or the login's first letter when there is none. Decorative: the login is shown beside it. */
export function UserAvatar({
  login,
  avatarUrl,
  className,
}: {
  login: string;
  avatarUrl: string | null;
  className?: string;
}) {
  if (avatarUrl) {
    return (
      <img
        src={avatarUrl}
        alt=""
        className={cn("size-7 shrink-0 rounded-full border border-slate-200 bg-slate-100", className)}
      />
    );
  }
  return (
    <span
      aria-hidden="true"
      className={cn(
        "flex size-7 shrink-0 items-center justify-center rounded-full bg-indigo-100 text-xs font-semibold uppercase text-indigo-800",
        className,
      )}
    >
      {login.slice(0, 1)}
    </span>
  );
}
