import { BackendBadge } from './BackendBadge';
import { BackendPicker } from './BackendPicker';
import { useGuide } from './guide/guideStore';
import { MethodGuide } from './guide/MethodGuide';

export function Header() {
  const openGuide = useGuide((state) => state.open);
  return (
    <header className="header">
      <h1>Mix-QSAM Studio</h1>
      <div className="header-backend">
        <button type="button" className="header-guide" onClick={() => openGuide('overview')} title="What Ω, σ, Ŝ, λ and the budgets mean">
          How it works
        </button>
        <BackendBadge />
        <BackendPicker />
      </div>
      <MethodGuide />
    </header>
  );
}
