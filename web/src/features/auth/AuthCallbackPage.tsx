import { LoaderCircle } from "lucide-react";
import { Link } from "react-router";

import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";

/** Where the backend sends the browser after GitHub sign-in. A placeholder until accounts land. */
export function AuthCallbackPage() {
  return (
    <div className="mx-auto w-full max-w-md">
      <title>Signing in… · Infrasync</title>
      <Card>
        <CardHeader>
          <CardTitle className="flex items-center gap-2 text-xl">
            <LoaderCircle aria-hidden="true" className="size-5 animate-spin text-indigo-600" />
            <span role="status">Signing in…</span>
          </CardTitle>
          <CardDescription>Finishing your GitHub sign-in.</CardDescription>
        </CardHeader>
        <CardContent>
          <Button asChild variant="outline">
            <Link to="/">Back to home</Link>
          </Button>
        </CardContent>
      </Card>
    </div>
  );
}
