/** A problem with one field, under it; the field names this element in `aria-describedby`. */
export function FieldError({ id, message }: { id: string; message?: string | null }) {
  if (!message) return null;
  return (
    <p id={id} className="text-sm break-words text-red-700">
      {message}
    </p>
  );
}
