import { BackendBadge } from './BackendBadge';
import { BackendPicker } from './BackendPicker';

export function Header() {
  return (
    <header className="header">
      <h1>Mix-QSAM Studio</h1>
      <div className="header-backend">
        <BackendBadge />
        <BackendPicker />
      </div>
    </header>
  );
}
