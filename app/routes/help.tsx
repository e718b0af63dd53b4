import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { helpLibrary, searchArticles } from "~/help/articles.server";
import { HelpListPage } from "~/ui/help-pages";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data?.q ? `Search help: ${data.q} | Account recovery` : "Help | Account recovery" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const library = helpLibrary((details, message) => context.services.logger.warn(details, message));
  const q = (new URL(request.url).searchParams.get("q") ?? "").trim().slice(0, 200);
  const brief = ({ slug, title, summary }: { slug: string; title: string; summary: string }) => ({ slug, title, summary });
  return {
    q,
    articles: library.articles.map(brief),
    results: q ? searchArticles(library, q).map(brief) : null,
  };
}

export default function Help() {
  const { q, articles, results } = useLoaderData<typeof loader>();
  return <HelpListPage q={q} articles={articles} results={results} />;
}
